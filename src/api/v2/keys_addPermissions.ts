import { keyNamesRoute } from "./key-names-route.ts";

export const registerV2AddPermissions = keyNamesRoute("permissions", "add");
