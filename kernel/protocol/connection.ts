// The connection file Jupyter writes for a kernel: where to bind and how to sign.
import { readFileSync } from "node:fs";

export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  shell_port: number;
  control_port: number;
  iopub_port: number;
  stdin_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
}

export type SocketName = "shell" | "control" | "iopub" | "stdin" | "hb";

export function readConnectionFile(path: string): ConnectionInfo {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`Cannot read the connection file ${path}: ${(error as Error).message}. Start the kernel from Jupyter, which writes it.`);
  }
  if (typeof raw !== "object" || raw === null) throw new Error(`The connection file ${path} is not a JSON object.`);
  const info = raw as Record<string, unknown>;
  const transport = info.transport === "ipc" ? "ipc" : "tcp";
  const port = (name: string): number => {
    const value = info[name];
    if (typeof value !== "number" || !Number.isInteger(value)) throw new Error(`The connection file ${path} has no integer "${name}".`);
    return value;
  };
  return {
    transport,
    ip: typeof info.ip === "string" ? info.ip : "127.0.0.1",
    shell_port: port("shell_port"),
    control_port: port("control_port"),
    iopub_port: port("iopub_port"),
    stdin_port: port("stdin_port"),
    hb_port: port("hb_port"),
    key: typeof info.key === "string" ? info.key : "",
    signature_scheme: typeof info.signature_scheme === "string" ? info.signature_scheme : "hmac-sha256",
  };
}

/** The ZeroMQ endpoint for one socket, exactly as jupyter_client expects (tcp://ip:port or ipc://ip-port). */
export function endpoint(info: ConnectionInfo, socket: SocketName): string {
  const port = info[`${socket}_port` as const];
  return info.transport === "ipc" ? `ipc://${info.ip}-${port}` : `tcp://${info.ip}:${port}`;
}
