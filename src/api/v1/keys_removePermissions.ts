import { v1KeyNamesRoute } from "./key-names-route.ts";

export const registerRemovePermissions = v1KeyNamesRoute("permissions", "remove");
