/** Modules the Workers bundle imports as text (wrangler.toml `rules`). */
declare module "@scalar/api-reference/browser/standalone.js" {
  const script: string;
  export default script;
}
