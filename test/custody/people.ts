import { randomBytes } from "node:crypto";
import { insertUser } from "../../src/users/users.ts";
import type { Harness, Workspace } from "../harness.ts";

/** A person of a workspace with a root key of their own: what quorum and approvals count. */
export interface Person {
  userId: string;
  rootKey: string;
  rootKeyId: string;
}

export async function person(h: Harness, ws: Workspace, permissions: string[] = ["*"]): Promise<Person> {
  const { id: userId } = await insertUser(h.db, ws.workspaceId, { name: `person-${randomBytes(3).toString("hex")}` });
  const { key, keyId } = await h.rootKey(ws, permissions, undefined, userId);
  return { userId, rootKey: key, rootKeyId: keyId };
}

/** An activity as `p` reads it (v1). */
export const getActivity = async (h: Harness, p: Person, activityId: string) => (await h.get("/v1/activities.getActivity", { activityId }, p.rootKey)).body;

/** `p` approves the activity with the digest they just read. */
export async function approve(h: Harness, p: Person, activityId: string) {
  const { digest } = await getActivity(h, p, activityId);
  return h.post("/v1/activities.approveActivity", { activityId, digest }, p.rootKey);
}
