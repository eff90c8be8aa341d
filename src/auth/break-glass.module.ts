import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { DatabaseFeatureModule } from '../database/transactions/database-feature.module';
import { CredentialsModule } from './credentials.module';
import { User } from './entities/user.entity';
import { BreakGlassService } from './users/break-glass.service';

/** The break-glass commands' module: what they need, without HTTP, JWT keys or schedules. */
@Module({
  imports: [DatabaseFeatureModule.forFeature([User]), CredentialsModule, ApiKeysModule],
  providers: [BreakGlassService],
  exports: [BreakGlassService],
})
export class BreakGlassModule {}
