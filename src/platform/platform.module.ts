import { Module } from '@nestjs/common';
import { Agent } from './agents/agent.entity';
import { AgentRun } from './agents/agent-run.entity';
import { AgentsController } from './agents/agents.controller';
import { AgentsService } from './agents/agents.service';
import { ApiToggle } from './api-toggles/api-toggle.entity';
import { ApiTogglesController } from './api-toggles/api-toggles.controller';
import { ApiTogglesService } from './api-toggles/api-toggles.service';
import { CodeProposal } from './proposals/code-proposal.entity';
import { ProposalsController } from './proposals/proposals.controller';
import { ProposalsService } from './proposals/proposals.service';
import { DatabaseFeatureModule } from '../database/transactions/database-feature.module';

/** The protected resources the seeds name: agents and their runs, code proposals, external-API toggles. */
@Module({
  imports: [DatabaseFeatureModule.forFeature([Agent, AgentRun, CodeProposal, ApiToggle])],
  controllers: [AgentsController, ProposalsController, ApiTogglesController],
  providers: [AgentsService, ProposalsService, ApiTogglesService],
  exports: [AgentsService, ApiTogglesService],
})
export class PlatformModule {}
