export { type Logger, silentLogger } from '@process-summary/core';
export {
  type Alerter,
  type AlerterOptions,
  createAlerter,
  type EvaluationResult,
} from './alerter.js';
export {
  type ConditionInput,
  type ConditionResult,
  customMetric,
  errorRateAbove,
  errorTypeCountAbove,
  etaAfter,
  evaluateConditions,
  median,
  noProgressFor,
  rateBelowMedianShare,
  staleFor,
  statusIn,
} from './conditions.js';
export {
  backoffMs,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_TIMEOUT_SECONDS,
  deliver,
  type RetryOptions,
  type Sleep,
} from './delivery.js';
export { formatDuration, parseDuration } from './duration.js';
export {
  isPermanent,
  type Notification,
  type Notifier,
  PermanentDeliveryError,
} from './notification.js';
export {
  type AlertmanagerAlert,
  type AlertmanagerNotifierOptions,
  alertmanagerAlert,
  alertmanagerNotifier,
} from './notifiers/alertmanager.js';
export { type CommandNotifierOptions, commandEnv, commandNotifier } from './notifiers/command.js';
export { type BuildNotifiersOptions, buildNotifiers } from './notifiers/index.js';
export {
  escapeMrkdwn,
  type SlackNotifierOptions,
  slackBody,
  slackNotifier,
} from './notifiers/slack.js';
export {
  SIGNATURE_HEADER,
  signBody,
  WEBHOOK_BODY_VERSION,
  type WebhookBody,
  type WebhookNotifierOptions,
  webhookBody,
  webhookNotifier,
} from './notifiers/webhook.js';
export {
  type AlertmanagerNotifierConfig,
  type AlertRule,
  type CommandNotifierConfig,
  loadRulesFile,
  MAX_RULES_BYTES,
  type NotifierConfig,
  type ParseRulesOptions,
  parseRules,
  type RuleConditions,
  type RuleMatch,
  type RulesConfig,
  rulesSchema,
  type SlackNotifierConfig,
  type WebhookNotifierConfig,
} from './rules.js';
export { type AlertPhase, type AlertState, fingerprintOf, type PendingDelivery } from './state.js';
export { ALERT_FIELDS, ROW_FIELDS } from './template.js';
