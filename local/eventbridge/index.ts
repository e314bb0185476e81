export { InvalidEventPatternError, matchesPattern, validatePattern } from './pattern';
