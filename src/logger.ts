import pino, { type Logger, type LoggerOptions } from "pino";
import type { Config } from "./config.ts";
import { safeError } from "./safe-error.ts";

/**
 * Field names that hold secrets, wherever they appear (top level or one object down):
 * redacted even if a future log call passes them by mistake. Bodies are never logged.
 */
const secretFields = [
  "authorization", "Authorization", "cookie", "key", "keys", "rootKey", "plaintext", "plaintexts", "hash",
  "masterKey", "masterKeys", "token", "serviceToken", "metricsToken", "dek", "deks", "wrapped", "encrypted", "data",
  "privateJwk", "privateKey", "password", "secret", "body",
];
export const redactPaths = [...secretFields, ...secretFields.map((f) => `*.${f}`), "*.headers.authorization", "*.*.authorization"];

/** Options every Keyhold logger gets: secret fields censored, errors reduced to safe fields. */
export const loggerOptions: LoggerOptions = {
  redact: { paths: redactPaths, censor: "[redacted]" },
  serializers: { err: (err: unknown) => (err instanceof Error ? safeError(err) : err) },
};

/**
 * Pino to stdout: JSON lines when stdout is not a terminal (for log collectors), short
 * readable lines on a terminal; LOG_FORMAT forces either. The readable form is made from
 * pino's finished line, so it shows exactly what redaction left. pino-pretty is not a
 * dependency on purpose: formatLine is all a terminal needs, and the Docker image stays lean.
 */
export function createLogger(
  config: Pick<Config, "logLevel"> & Partial<Pick<Config, "logFormat">>,
  stream: Pick<NodeJS.WriteStream, "write" | "isTTY"> = process.stdout,
): Logger {
  const options = { ...loggerOptions, level: config.logLevel };
  const pretty = config.logFormat ? config.logFormat === "pretty" : stream.isTTY === true;
  if (!pretty) return pino(options, stream);
  return pino(options, { write: (line: string) => stream.write(formatLine(line)) });
}

const levelNames: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const omitted = new Set(["level", "time", "pid", "hostname", "msg"]);

/** `12:00:01 INFO  request method=GET status=200`: one pino JSON line made readable. */
export function formatLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = new Date(Number(record.time)).toTimeString().slice(0, 8);
  const level = (levelNames[Number(record.level)] ?? "LOG").padEnd(5);
  const fields = Object.entries(record)
    .filter(([k, v]) => !omitted.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return `${time} ${level} ${String(record.msg ?? "")}${fields.length ? ` ${fields.join(" ")}` : ""}\n`;
}
