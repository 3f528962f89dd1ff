// What the Slack functions may read from SSM (and Secrets Manager), for serverless.yml
// (`${file(...)}`): exactly the two parameters the stage's settings name
// (HALLPASS_SLACK_SIGNING_SECRET_PARAMETER, HALLPASS_SLACK_BOT_TOKEN_PARAMETER), each as an SSM
// parameter ARN, and for a Secrets Manager secret read through SSM (`/aws/reference/secretsmanager/<id>`)
// the secret too. With Slack off, a parameter name that exists nowhere, so the policy grants nothing.
// The values are read by the functions at run time: never in the template.
const settings = require('./settings.cjs');

const REFERENCE = 'aws/reference/secretsmanager/';

function resources(name, stage) {
  const bare = String(name || `hallpass/${stage}/slack-not-configured`).replace(/^\//, '');
  const parameter = {
    'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${bare}`,
  };
  if (!bare.startsWith(REFERENCE)) return { parameters: [parameter], secrets: [] };
  const id = bare.slice(REFERENCE.length);
  // Secrets Manager appends six random characters to a secret's ARN.
  const secret = {
    'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${id}-??????`,
  };
  return { parameters: [parameter], secrets: [secret] };
}

module.exports = async (context) => {
  const stage = await context.resolveVariable('sls:stage');
  const { environment } = await settings(context);
  const signing = resources(environment.HALLPASS_SLACK_SIGNING_SECRET_PARAMETER, stage);
  const token = resources(environment.HALLPASS_SLACK_BOT_TOKEN_PARAMETER, stage);
  const statement = (parts) => [
    { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: parts.flatMap((p) => p.parameters) },
    ...(parts.some((p) => p.secrets.length)
      ? [
          {
            Effect: 'Allow',
            Action: ['secretsmanager:GetSecretValue'],
            Resource: parts.flatMap((p) => p.secrets),
          },
        ]
      : []),
  ];
  return {
    // The slash command answers in its HTTP response: the signing secret only. The interactions
    // post too: both. The slackNotify function: the bot token only.
    signingSecret: statement([signing]),
    bothSecrets: statement([signing, token]),
    botToken: statement([token]),
  };
};
