import { keyNamesRoute } from "./key-names-route.ts";

export const registerV2SetRoles = keyNamesRoute("roles", "set");
