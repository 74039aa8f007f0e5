-- Escrow keys (src/escrow/): P-256 key pairs made inside the vault. The API keeps the public
-- JWK and only the vault's ciphertext of the private JWK, sealed for the "keyPair" purpose and
-- bound to the workspace's keyring and the escrow key's id: the vault's decrypt refuses it, and
-- it leaves the vault only sealed to a caller's public key (escrow.exportKey).
CREATE TABLE "escrow_keys" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"name" text NOT NULL,
	"public_key" jsonb NOT NULL,
	"encrypted" text NOT NULL,
	"created_at" bigint NOT NULL,
	"deleted_at" bigint
);
--> statement-breakpoint
ALTER TABLE "escrow_keys" ADD CONSTRAINT "escrow_keys_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "escrow_keys_workspace_idx" ON "escrow_keys" USING btree ("workspace_id","id");
