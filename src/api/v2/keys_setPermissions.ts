import { keyNamesRoute } from "./key-names-route.ts";

export const registerV2SetPermissions = keyNamesRoute("permissions", "set");
