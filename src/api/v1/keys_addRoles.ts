import { v1KeyNamesRoute } from "./key-names-route.ts";

export const registerAddRoles = v1KeyNamesRoute("roles", "add");
