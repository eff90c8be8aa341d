import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { User } from './entities/user.entity';

/**
 * The user's credentials as the login path reads and writes them, each write
 * a single conditional UPDATE so that instances racing on it cannot undo each
 * other (the lockout's counts are in lockout/).
 */
@Injectable()
export class UserCredentialsRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /**
   * Swaps in a stronger hash of the same password, only if the stored hash is
   * still `previousHash`: a password changed meanwhile must not be reverted.
   */
  async upgradePasswordHash(userId: string, previousHash: string, passwordHash: string): Promise<boolean> {
    const result = await this.users.update({ id: userId, passwordHash: previousHash }, { passwordHash });
    return result.affected === 1;
  }

  /**
   * Marks a TOTP time step as used; false when it (or a later one) already
   * was, which is how a code is accepted only once across instances.
   */
  async claimTotpStep(userId: string, step: number): Promise<boolean> {
    const result = await this.users
      .createQueryBuilder()
      .update()
      .set({ totpLastUsedStep: String(step) })
      .where('id = :userId AND (totp_last_used_step IS NULL OR totp_last_used_step < :step)', { userId, step })
      .execute();
    return result.affected === 1;
  }
}
