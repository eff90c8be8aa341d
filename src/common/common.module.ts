import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Clock } from './clock/clock';
import { DomainEvents } from './events/domain-events.service';
import { RouteCatalog } from './routing/route-catalog.service';

@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [Clock, DomainEvents, RouteCatalog],
  exports: [Clock, DomainEvents, RouteCatalog],
})
export class CommonModule {}
