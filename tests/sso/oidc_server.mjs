// A real OpenID Connect provider (npm oidc-provider) on loopback, for the SSO tests.
// Usage: node oidc_server.mjs CONFIG.json — the file holds {port, clients, accounts}:
// clients as oidc-provider takes them, accounts as {login: {email, name, ...claims}}.
// Prints "ready <issuer>" once it listens; its development sign-in page accepts any
// password (the test signs in as one of the accounts by its login name).
import { readFileSync } from "node:fs";

import Provider from "oidc-provider";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const issuer = `http://127.0.0.1:${config.port}`;

const provider = new Provider(issuer, {
  clients: config.clients,
  async findAccount(ctx, sub) {
    const claims = config.accounts[sub];
    if (!claims) return undefined;
    return { accountId: sub, async claims() { return { sub, ...claims }; } };
  },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  cookies: { keys: ["recouple-test-only-cookie-key"] },
});
provider.on("server_error", (ctx, error) => console.error("server_error", error));

provider.listen(config.port, "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
