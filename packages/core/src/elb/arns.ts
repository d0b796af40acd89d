// The shape of a listener rule ARN, for input checks made before the ELBv2 client is loaded.

/** An ALB listener rule: `arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/<lb>/<id>/<listener>/<rule>`. */
export const LISTENER_RULE_ARN =
  /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener-rule\/app\/[^/\s]+\/[0-9a-f]+\/[0-9a-f]+\/[0-9a-f]+$/;
