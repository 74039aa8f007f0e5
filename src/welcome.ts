import type { Bootstrapped } from "./workspaces/bootstrap.ts";

/**
 * What a first start prints: the root key (its only appearance anywhere) and a
 * walk-through that runs as pasted in a POSIX shell, with no tool beyond curl and sed.
 */
export function welcomeText(created: Bootstrapped, baseUrl: string): string {
  const json = `-H "Content-Type: application/json"`;
  const auth = `-H "Authorization: Bearer $ROOT_KEY"`;
  const rule = "=".repeat(78);
  return [
    rule,
    `Keyhold created workspace ${created.workspaceId} and its root key (${created.rootKeyId}).`,
    "The root key is shown only this once. Store it somewhere safe now:",
    "",
    `  export ROOT_KEY=${created.rootKey}`,
    "",
    "Then try it (create an API, create a key in it, verify the key):",
    "",
    `  export KEYHOLD_URL=${baseUrl}`,
    `  API_ID=$(curl -s -X POST "$KEYHOLD_URL/v1/apis.createApi" ${auth} ${json} -d '{"name":"my-api"}' | sed -E 's/.*"apiId":"([^"]*)".*/\\1/')`,
    `  KEY=$(curl -s -X POST "$KEYHOLD_URL/v1/keys.createKey" ${auth} ${json} -d "{\\"apiId\\":\\"$API_ID\\"}" | sed -E 's/.*"key":"([^"]*)".*/\\1/')`,
    `  curl -s -X POST "$KEYHOLD_URL/v1/keys.verifyKey" ${json} -d "{\\"key\\":\\"$KEY\\"}"`,
    rule,
    "",
  ].join("\n");
}
