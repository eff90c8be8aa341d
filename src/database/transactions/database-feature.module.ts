import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { getRepositoryToken, TypeOrmModule } from '@nestjs/typeorm';
import type { EntityTarget, ObjectLiteral, Repository } from 'typeorm';
import { Transactions } from './transactions.service';

/**
 * A repository that runs each call through whatever unit of work is open at
 * that moment, so services keep injecting `Repository<User>` and still join
 * the request's transaction.
 */
function repositoryInCurrentTransaction<E extends ObjectLiteral>(
  transactions: Transactions,
  entity: EntityTarget<E>,
): Repository<E> {
  return new Proxy({} as Repository<E>, {
    get: (_target, property) => {
      const repository = transactions.manager.getRepository(entity);
      const value: unknown = Reflect.get(repository, property, repository);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(repository) : value;
    },
  });
}

@Module({})
export class DatabaseFeatureModule {
  /** Like TypeOrmModule.forFeature (which still registers the entities), with transaction-aware repositories. */
  static forFeature(entities: EntityTarget<ObjectLiteral>[]): DynamicModule {
    const providers: Provider[] = entities.map((entity) => ({
      provide: getRepositoryToken(entity as Parameters<typeof getRepositoryToken>[0]),
      inject: [Transactions],
      useFactory: (transactions: Transactions) => repositoryInCurrentTransaction(transactions, entity),
    }));
    return {
      module: DatabaseFeatureModule,
      imports: [TypeOrmModule.forFeature(entities as Parameters<typeof TypeOrmModule.forFeature>[0])],
      providers,
      exports: providers,
    };
  }
}
