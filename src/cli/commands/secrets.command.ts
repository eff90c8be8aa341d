import { TotpSecretsModule } from '../../auth/mfa/totp-secrets.module';
import { TotpSecretsRewrap } from '../../auth/mfa/totp-secrets-rewrap.service';
import { SecretsCoreModule } from '../../secrets/secrets-core.module';
import { MasterKeyRewrapService } from '../../secrets/master-key-rewrap.service';
import { type CliCommandGroup, type CliInvocation, CliUsageError } from '../cli-command';

async function run({ positionals, output, app }: CliInvocation): Promise<number> {
  const [action, ...rest] = positionals;
  if (action !== 'rewrap' || rest.length > 0) throw new CliUsageError('the secrets commands are: rewrap');
  const context = await app();
  const report = await context.get(MasterKeyRewrapService).rewrapAll();
  const totpSecrets = await context.get(TotpSecretsRewrap).rewrapAll();
  output.line(
    `re-wrapped ${report.secrets} secret data keys, ${report.transitKeyVersions} transit key versions, ` +
      `${report.signingKeys} JWT signing keys and the TOTP secrets of ${totpSecrets} users ` +
      `under master key ${report.masterKeyId}`,
  );
  return 0;
}

export const secretsCommands: CliCommandGroup = {
  name: 'secrets',
  summary: 'master-key rotation for secrets and transit',
  usage: [
    '  secrets rewrap                                       re-wrap every data key under the newest master key',
    '                                                       (the first of SECRETS_MASTER_KEYS); values untouched',
  ],
  options: {},
  modules: [SecretsCoreModule, TotpSecretsModule],
  run,
};
