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
import { FailedAttemptsService } from '../failed-attempts.service';
import { PasswordHasher } from '../password/password-hasher.service';
import { UserCredentialsRepository } from '../user-credentials.repository';
import { generateRecoveryCode, hashRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes';
import { generateTotpSecret, matchTotpStep, totpQrCode, totpUri } from './totp';

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
    private readonly failures: FailedAttemptsService,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
  ) {}

  /** Starts (or restarts) an enrollment; the secret is shown this once and works only after confirmation. */
  async enroll(userId: string): Promise<TotpEnrollment> {
    const user = await this.requireUser(userId);
    if (user.mfaEnabled) throw new AuthException(AuthErrorCode.MfaAlreadyEnabled);
    const secret = generateTotpSecret();
    await this.users.update({ id: userId }, { totpPendingSecret: secret });
    const otpauthUrl = totpUri(secret, user.username);
    return { secret, otpauthUrl, qrCodeDataUrl: await totpQrCode(otpauthUrl) };
  }

  /** Turns TOTP on once the user proves their app has the secret; returns fresh recovery codes. */
  async confirm(userId: string, code: string): Promise<string[]> {
    const user = await this.requireUser(userId);
    if (user.mfaEnabled) throw new AuthException(AuthErrorCode.MfaAlreadyEnabled);
    if (!user.totpPendingSecret) throw new AuthException(AuthErrorCode.MfaNotEnrolling);
    const step = matchTotpStep(user.totpPendingSecret, code, this.clock.now());
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

  /** Turns TOTP off; the caller proves presence with a current code or their password. */
  async disable(userId: string, proof: { code?: string; password?: string }): Promise<void> {
    const user = await this.transactions.outside(() => this.requireUser(userId));
    if (!user.mfaEnabled) throw new AuthException(AuthErrorCode.MfaNotEnabled);
    const proven = proof.code
      ? await this.acceptTotpCode(user, proof.code)
      : await this.hasher.verify(proof.password ?? '', user.passwordHash);
    if (!proven) {
      this.transactions.commitOnFailure();
      await this.failures.record(user);
      throw new AuthException(AuthErrorCode.InvalidMfaCode, 'The code or password is not correct');
    }
    await this.transactions.run(async () => {
      await this.users.update(
        { id: userId },
        { totpSecret: null, totpPendingSecret: null, totpEnabledAt: null, totpLastUsedStep: null },
      );
      await this.recoveryCodes.delete({ userId });
      this.events.publish(new MfaDisabled(user.id, user.username));
    });
  }

  /** A valid code for a step not used before; the step is then spent. */
  async acceptTotpCode(user: User, code: string): Promise<boolean> {
    if (!user.totpSecret) return false;
    const step = matchTotpStep(user.totpSecret, code, this.clock.now());
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
