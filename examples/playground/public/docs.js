// The example's docs page: asks its own backend for the signed-in end user's portal access
// token, lets Keyhold's playground.js find their recoverable key, and starts Scalar with it.
import { playgroundKey, scalarAuthentication } from "/keyhold/portal/playground.js";

const banner = document.getElementById("signed-in");
let key = null;
try {
  const res = await fetch("/docs/session", { credentials: "same-origin" });
  if (res.ok) {
    const { accessToken, apiId } = await res.json();
    const found = await playgroundKey({ keyholdUrl: "/keyhold", accessToken, apiId });
    key = found ? found.key : null;
    banner.textContent = found ? `Signed in: the playground uses your key ${found.name ?? found.keyId}.` : "Signed in, but you have no recoverable key for this API yet.";
  } else {
    banner.textContent = "Not signed in: sign in on the home page to have your key filled in.";
  }
} catch (error) {
  banner.textContent = `Your key could not be loaded: ${error.message}`;
}

window.Scalar.createApiReference("#app", {
  url: "/openapi.json",
  authentication: scalarAuthentication(key, "bearerAuth"),
  persistAuth: false,
  withDefaultFonts: false,
  telemetry: false,
  showDeveloperTools: "never",
  agent: { disabled: true },
});
