import { keyNamesRoute } from "./key-names-route.ts";

export const registerV2RemovePermissions = keyNamesRoute("permissions", "remove");
