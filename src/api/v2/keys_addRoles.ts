import { keyNamesRoute } from "./key-names-route.ts";

export const registerV2AddRoles = keyNamesRoute("roles", "add");
