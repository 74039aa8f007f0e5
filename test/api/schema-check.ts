/**
 * A small JSON Schema checker for the subset the OpenAPI document uses ($ref, type, enum,
 * const, properties/required, additionalProperties, items, anyOf/oneOf). Returns the
 * problems found, each with its path; empty means the value fits.
 */
type Schema = Record<string, any>;

export function checkValue(value: unknown, schema: Schema, components: Record<string, Schema>, path = "$"): string[] {
  if (schema.$ref) return checkValue(value, components[String(schema.$ref).split("/").at(-1)!] ?? {}, components, path);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    const fits = (alternatives as Schema[]).some((s) => checkValue(value, s, components, path).length === 0);
    return fits ? [] : [`${path}: fits none of the alternatives`];
  }
  if (schema.enum && !schema.enum.includes(value)) return [`${path}: ${JSON.stringify(value)} not in enum`];
  if ("const" in schema && schema.const !== value) return [`${path}: not ${JSON.stringify(schema.const)}`];
  const types: string[] = schema.type === undefined ? [] : [schema.type].flat();
  if (types.length > 0 && !types.includes(typeOf(value))) {
    if (!(types.includes("number") && typeOf(value) === "integer")) return [`${path}: ${typeOf(value)}, expected ${types.join("|")}`];
  }
  const problems: string[] = [];
  if (typeOf(value) === "object") {
    const object = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (!(name in object)) problems.push(`${path}.${name}: required`);
    for (const [name, child] of Object.entries(object)) {
      const property = schema.properties?.[name] ?? schema.additionalProperties;
      if (property === undefined && schema.properties) problems.push(`${path}.${name}: not in the schema`);
      else if (property && typeof property === "object") problems.push(...checkValue(child, property, components, `${path}.${name}`));
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => problems.push(...checkValue(item, schema.items, components, `${path}[${i}]`)));
  return problems;
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}
