import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { Clock } from '../../common/clock/clock';
import { DomainEvents } from '../../common/events/domain-events.service';
import { Transactions } from '../../database/transactions/transactions.service';
import { MfaDisabled, MfaEnabled } from '../auth.events';
import { AuthException, AuthErrorCode } from '../auth.exception';
import { RecoveryCode } from '../entities/recovery-code.entity';
import { User } from '../entities/user.entity';
import { InSessionProofs } from '../lockout/in-session-proofs.service';
import { RecentProof } from '../recent-proof/recent-proof.service';
import type { AuthenticatedUser } from '../authenticated-user';
import { PasswordHasher } from '../password/password-hasher.service';
import { UserCredentialsRepository } from '../user-credentials.repository';
import { generateRecoveryCode, hashRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes';
import { generateTotpSecret, matchTotpStep, totpQrCode, totpUri } from './totp';
import { TotpSecretCipher } from './totp-secret.cipher';

export interface TotpEnrollment {
  secret: string;
  otpauthUrl: string;
  qrCodeDataUrl: string;
}

/** TOTP enrollment, confirmation and removal, and the single-use recovery codes. */
@Injectable()
export class MfaService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(RecoveryCode) private readonly recoveryCodes: Repository<RecoveryCode>,
    private readonly credentials: UserCredentialsRepository,
    private readonly hasher: PasswordHasher,
    private readonly proofs: InSessionProofs,
    private readonly recentProof: RecentProof,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
    private readonly totpSecrets: TotpSecretCipher,
  ) {}

  /**
   * Starts (or restarts) an enrollment after a recent proof (a stolen session must not bind its own
   * authenticator); the secret is shown this once and works only after confirmation.
   */
  async enroll(caller: AuthenticatedUser, currentPassword: string | undefined): Promise<TotpEnrollment> {
    await this.recentProof.require(caller, currentPassword);
    const userId = caller.id;
    const user = await this.requireUser(userId);
    if (user.mfaEnabled) throw new AuthException(AuthErrorCode.MfaAlreadyEnabled);
    const secret = generateTotpSecret();
    await this.users.update({ id: userId }, { totpPendingSecret: this.totpSecrets.seal(userId, secret) });
    const otpauthUrl = totpUri(secret, user.username);
    return { secret, otpauthUrl, qrCodeDataUrl: await totpQrCode(otpauthUrl) };
  }

  /** Turns TOTP on once the user proves their app has the secret; returns fresh recovery codes. */
  async confirm(userId: string, code: string): Promise<string[]> {
    const user = await this.requireUser(userId);
    if (user.mfaEnabled) throw new AuthException(AuthErrorCode.MfaAlreadyEnabled);
    if (!user.totpPendingSecret) throw new AuthException(AuthErrorCode.MfaNotEnrolling);
    const pending = this.totpSecrets.open(userId, user.totpPendingSecret);
    const step = pending === undefined ? undefined : matchTotpStep(pending, code, this.clock.now());
    if (step === undefined) throw new AuthException(AuthErrorCode.InvalidMfaCode);
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, generateRecoveryCode);
    await this.transactions.run(async () => {
      await this.users.update(
        { id: userId },
        {
          totpSecret: user.totpPendingSecret,
          totpPendingSecret: null,
          totpEnabledAt: this.clock.now(),
          totpLastUsedStep: String(step),
        },
      );
      await this.recoveryCodes.delete({ userId });
      await this.recoveryCodes.insert(
        codes.map((recoveryCode) => ({ userId, codeHash: hashRecoveryCode(recoveryCode), usedAt: null })),
      );
      this.events.publish(new MfaEnabled(user.id, user.username));
    });
    return codes;
  }

  /**
   * Turns TOTP off; the caller proves presence with a current code or their
   * password, checked as a guess of the lockout count (refused unchecked while locked).
   */
  async disable(userId: string, proof: { code?: string; password?: string }): Promise<void> {
    const wrong = new AuthException(AuthErrorCode.InvalidMfaCode, 'The code or password is not correct');
    const user = await this.proofs.check(
      userId,
      async (current) => {
        if (!current.mfaEnabled) throw new AuthException(AuthErrorCode.MfaNotEnabled);
        return proof.code
          ? this.acceptTotpCode(current, proof.code)
          : this.hasher.verify(proof.password ?? '', current.passwordHash);
      },
      wrong,
    );
    await this.removeTotp(user);
    this.events.publish(new MfaDisabled(user.id, user.username));
  }

  /** An admin's reset: TOTP and recovery codes gone, to be enrolled again. False when MFA was not on. */
  async reset(user: User): Promise<boolean> {
    if (!user.mfaEnabled && !user.totpPendingSecret) return false;
    await this.removeTotp(user);
    return true;
  }

  private async removeTotp(user: User): Promise<void> {
    await this.transactions.run(async () => {
      await this.users.update(
        { id: user.id },
        { totpSecret: null, totpPendingSecret: null, totpEnabledAt: null, totpLastUsedStep: null },
      );
      await this.recoveryCodes.delete({ userId: user.id });
    });
  }

  /** A valid code for a step not used before; the step is then spent. */
  async acceptTotpCode(user: User, code: string): Promise<boolean> {
    const secret = user.totpSecret && this.totpSecrets.open(user.id, user.totpSecret);
    if (!secret) return false;
    const step = matchTotpStep(secret, code, this.clock.now());
    return step !== undefined && (await this.credentials.claimTotpStep(user.id, step));
  }

  /** Spends an unused recovery code of the user; false when there is none such. */
  async consumeRecoveryCode(userId: string, code: string): Promise<boolean> {
    const result = await this.recoveryCodes.update(
      { userId, codeHash: hashRecoveryCode(code), usedAt: IsNull() },
      { usedAt: this.clock.now() },
    );
    return result.affected === 1;
  }

  private async requireUser(userId: string): Promise<User> {
    const user = await this.credentials.findById(userId);
    if (!user) throw new AuthException(AuthErrorCode.Unauthenticated);
    return user;
  }
}
