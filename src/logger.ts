import pino, { type Logger } from "pino";
import type { Config } from "./config.ts";

/**
 * Pino to stdout: JSON lines when stdout is not a terminal (for log collectors),
 * short readable lines on a terminal. pino-pretty is not a dependency on purpose.
 */
export function createLogger(config: Pick<Config, "logLevel">, stream: NodeJS.WriteStream = process.stdout): Logger {
  if (!stream.isTTY) return pino({ level: config.logLevel }, stream);
  return pino({ level: config.logLevel }, { write: (line: string) => stream.write(formatLine(line)) });
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
