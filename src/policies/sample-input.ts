import { type PolicyUser, toCelContext } from "./policy-input.ts";

/**
 * A large but plausible input every new expression is tried on once (engine.ts): one that
 * exceeds the evaluation budget here (comprehensions over the approvers and their tags, values
 * doubled by `cel.bind`) is refused at creation instead of failing on real requests.
 */
const user = (i: number): PolicyUser => ({
  id: `usr_sample${i}`,
  name: `Sample user ${i}`,
  email: `user${i}@example.com`,
  tags: Array.from({ length: 16 }, (_, t) => `tag-${t}`),
});

export const SAMPLE_CONTEXT = toCelContext({
  activity: { type: "CREATE_KEY", params: { apiId: "api_sample", name: "sample", permissions: Array.from({ length: 64 }, (_, i) => `p.${i}`), meta: { plan: "pro" } } },
  api: { id: "api_sample", name: "sample", recoveryEnabled: true },
  key: { id: "key_sample", apiId: "api_sample", name: "sample", meta: { plan: "pro" } },
  escrow_key: { id: "esk_sample", name: "sample" },
  user: user(0),
  approvers: Array.from({ length: 32 }, (_, i) => user(i)),
});
