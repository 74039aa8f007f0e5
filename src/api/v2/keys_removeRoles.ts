import { keyNamesRoute } from "./key-names-route.ts";

export const registerV2RemoveRoles = keyNamesRoute("roles", "remove");
