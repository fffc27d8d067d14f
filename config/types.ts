/**
 * The types of the environment matrix, inferred from its schema (config/schema.ts): the schema is the one
 * definition of each field, its range and its documentation.
 */
export type {
  AlertRouting,
  BackendSettings,
  Cluster,
  DeploymentWindow,
  EnvironmentClone,
  EnvironmentDefinition,
  EnvironmentIdentity,
  EnvironmentSettings,
  LogLevel,
  Matrix,
  MatrixDefinition,
  Organization,
  SecretSyncSettings,
  Service,
  Weekday,
} from "./schema";
