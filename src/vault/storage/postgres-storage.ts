import postgres from "postgres";
import type { KeyringDocument, VaultStorage } from "./storage.ts";

/**
 * Keyrings in a PostgreSQL database of the vault's own (VAULT_DATABASE_URL), never the
 * API's. Writes compare-and-swap on the revision, so vault instances sharing it never
 * lose each other's DEKs.
 */
export class PostgresStorage implements VaultStorage {
  private constructor(private readonly sql: postgres.Sql) {}

  static async open(url: string): Promise<PostgresStorage> {
    const sql = postgres(url, { max: 5, onnotice: () => {} });
    await sql`create table if not exists vault_keyrings (
      keyring text primary key,
      revision integer not null,
      document jsonb not null
    )`;
    return new PostgresStorage(sql);
  }

  async read(keyring: string): Promise<KeyringDocument | null> {
    const [row] = await this.sql<{ document: KeyringDocument }[]>`select document from vault_keyrings where keyring = ${keyring}`;
    return row?.document ?? null;
  }

  async write(doc: KeyringDocument): Promise<boolean> {
    const document = this.sql.json(doc as unknown as postgres.JSONValue);
    const rows =
      doc.revision === 1
        ? await this.sql`insert into vault_keyrings (keyring, revision, document) values (${doc.keyring}, 1, ${document})
            on conflict (keyring) do nothing returning keyring`
        : await this.sql`update vault_keyrings set revision = ${doc.revision}, document = ${document}
            where keyring = ${doc.keyring} and revision = ${doc.revision - 1} returning keyring`;
    return rows.length === 1;
  }

  async list(): Promise<string[]> {
    const rows = await this.sql<{ keyring: string }[]>`select keyring from vault_keyrings order by keyring`;
    return rows.map((r) => r.keyring);
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}
