export { DataKeysStack, dataKeyAliasArn, dataKeyAliasName, type DataKeysStackProps } from './data-keys-stack';
export { GlobalDataStage, type GlobalDataStageProps } from './global-data-stage';
export { GlobalTablesStack, tableName, type GlobalTablesStackProps } from './global-tables-stack';
