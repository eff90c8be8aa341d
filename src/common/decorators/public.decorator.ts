import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'sentinel:isPublic';

/** Opts a route (or a whole controller) out of the global authentication guard. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
