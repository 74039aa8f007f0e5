import { v1KeyNamesRoute } from "./key-names-route.ts";

export const registerSetPermissions = v1KeyNamesRoute("permissions", "set");
