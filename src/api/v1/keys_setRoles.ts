import { v1KeyNamesRoute } from "./key-names-route.ts";

export const registerSetRoles = v1KeyNamesRoute("roles", "set");
