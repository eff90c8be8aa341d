import { Module } from '@nestjs/common';
import { DashboardAssets } from './dashboard-assets';
import { DashboardController } from './dashboard.controller';

@Module({ controllers: [DashboardController], providers: [DashboardAssets] })
export class DashboardModule {}
