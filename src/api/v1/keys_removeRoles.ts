import { v1KeyNamesRoute } from "./key-names-route.ts";

export const registerRemoveRoles = v1KeyNamesRoute("roles", "remove");
