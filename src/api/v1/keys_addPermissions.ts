import { v1KeyNamesRoute } from "./key-names-route.ts";

export const registerAddPermissions = v1KeyNamesRoute("permissions", "add");
