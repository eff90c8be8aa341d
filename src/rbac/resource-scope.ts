/** The resource kinds a grant can be scoped to; route scopes name these. */
export const ResourceType = {
  Agent: 'agent',
  Proposal: 'proposal',
  ApiToggle: 'api-toggle',
} as const;

export type ResourceType = (typeof ResourceType)[keyof typeof ResourceType];

export const ALL_RESOURCE_TYPES: readonly ResourceType[] = Object.values(ResourceType);

/** The resource a permission is being exercised on, when a route acts on one. */
export interface ResourceRef {
  type: ResourceType;
  id: string;
}
