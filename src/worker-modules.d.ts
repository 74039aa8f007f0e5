/** Modules the Workers bundle imports as text (wrangler.toml `rules`). */
declare module "@scalar/api-reference/browser/standalone.js" {
  const script: string;
  export default script;
}
/** The hosted portal page's files (src/api/portal-page/assets/), bundled as text likewise. */
declare module "*/portal-page/assets/portal.js" {
  const text: string;
  export default text;
}
declare module "*/portal-page/assets/playground.js" {
  const text: string;
  export default text;
}
declare module "*/portal-page/assets/portal.css" {
  const text: string;
  export default text;
}
