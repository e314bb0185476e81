import {
  IntrinsicError,
  endpointNaming,
  resolve,
  type DynamicReference,
  type ResolveContext,
} from '../../../local/assembly';

const resources: ResolveContext['resources'] = {
  Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'meridian-local-bus' } },
  Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
  Fn: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.api' } },
  Live: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { Ref: 'Fn' }, Name: 'live' } },
  Saga: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineName: 'order-saga' } },
  Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
};

function ctx(overrides: Partial<ResolveContext> = {}): ResolveContext {
  return {
    region: 'eu-west-1',
    accountId: '000000000000',
    stackName: 'meridian-local-eu-west-1',
    resources,
    parameters: { Version: { Type: 'String', Default: '6' }, NoDefault: { Type: 'String' } },
    ...overrides,
  };
}

describe('resolve', () => {
  it('passes literals through, objects and arrays recursively', () => {
    expect(resolve({ a: [1, 'x', { b: true }], c: null }, ctx())).toEqual({
      a: [1, 'x', { b: true }],
      c: null,
    });
  });

  it('Ref: pseudo parameters', () => {
    expect(resolve({ Ref: 'AWS::Region' }, ctx())).toBe('eu-west-1');
    expect(resolve({ Ref: 'AWS::AccountId' }, ctx())).toBe('000000000000');
    expect(resolve({ Ref: 'AWS::Partition' }, ctx())).toBe('aws');
    expect(resolve({ Ref: 'AWS::URLSuffix' }, ctx())).toBe('amazonaws.com');
    expect(resolve({ Ref: 'AWS::StackName' }, ctx())).toBe('meridian-local-eu-west-1');
    expect(resolve({ Ref: 'AWS::Partition' }, ctx({ partition: 'aws-cn' }))).toBe('aws-cn');
  });

  it('Ref: AWS::NoValue removes the key or element', () => {
    expect(resolve({ a: { Ref: 'AWS::NoValue' }, b: [1, { Ref: 'AWS::NoValue' }] }, ctx())).toEqual({
      b: [1],
    });
  });

  it('Ref: resources, by type, and parameters with a default', () => {
    expect(resolve({ Ref: 'Bus' }, ctx())).toBe('meridian-local-bus');
    expect(resolve({ Ref: 'Fn' }, ctx())).toBe('Fn');
    expect(resolve({ Ref: 'Live' }, ctx())).toBe('arn:aws:lambda:eu-west-1:000000000000:function:Fn:live');
    expect(resolve({ Ref: 'Saga' }, ctx())).toBe(
      'arn:aws:states:eu-west-1:000000000000:stateMachine:order-saga',
    );
    expect(resolve({ Ref: 'Topic' }, ctx())).toBe('arn:aws:sns:eu-west-1:000000000000:Topic');
    expect(resolve({ Ref: 'Queue' }, ctx())).toBe('https://sqs.eu-west-1.amazonaws.com/000000000000/Queue');
    expect(resolve({ Ref: 'Version' }, ctx())).toBe('6');
    expect(() => resolve({ Ref: 'NoDefault' }, ctx())).toThrow(/parameter NoDefault has no default/);
    expect(() => resolve({ x: { Ref: 'Missing' } }, ctx())).toThrow(
      '$.x.Ref: no resource or parameter Missing',
    );
  });

  it('Fn::GetAtt: both forms, local ARNs and URLs', () => {
    expect(resolve({ 'Fn::GetAtt': ['Bus', 'Arn'] }, ctx())).toBe(
      'arn:aws:events:eu-west-1:000000000000:event-bus/meridian-local-bus',
    );
    expect(resolve({ 'Fn::GetAtt': 'Bus.Name' }, ctx())).toBe('meridian-local-bus');
    expect(resolve({ 'Fn::GetAtt': ['Queue', 'Arn'] }, ctx())).toBe(
      'arn:aws:sqs:eu-west-1:000000000000:Queue',
    );
    expect(resolve({ 'Fn::GetAtt': ['Queue', 'QueueName'] }, ctx())).toBe('Queue');
    expect(resolve({ 'Fn::GetAtt': ['Saga', 'Name'] }, ctx())).toBe('order-saga');
    expect(resolve({ 'Fn::GetAtt': ['Fn', 'Arn'] }, ctx())).toBe(
      'arn:aws:lambda:eu-west-1:000000000000:function:Fn',
    );
  });

  it('Fn::GetAtt: an attribute without a local value throws with the path', () => {
    expect(() => resolve({ Env: { 'Fn::GetAtt': ['Fn', 'SnapStartResponse'] } }, ctx())).toThrow(
      new IntrinsicError(
        '$.Env.Fn::GetAtt',
        'no local value for Fn::GetAtt Fn.SnapStartResponse (AWS::Lambda::Function)',
      ),
    );
  });

  it('maps names through the caller’s LocalNaming, falling back to the default', () => {
    const naming = endpointNaming((service, region) =>
      service === 'sqs' && region === 'eu-west-1' ? 'http://127.0.0.1:4102/' : undefined,
    );
    expect(resolve({ Ref: 'Queue' }, ctx({ naming }))).toBe('http://127.0.0.1:4102/000000000000/Queue');
    expect(resolve({ 'Fn::GetAtt': ['Queue', 'QueueUrl'] }, ctx({ naming }))).toBe(
      'http://127.0.0.1:4102/000000000000/Queue',
    );
    expect(resolve({ 'Fn::GetAtt': ['Queue', 'Arn'] }, ctx({ naming }))).toBe(
      'arn:aws:sqs:eu-west-1:000000000000:Queue',
    );
    const custom = { ref: (r: { logicalId: string }) => (r.logicalId === 'Fn' ? 'orders-api' : undefined) };
    expect(resolve({ Ref: 'Fn' }, ctx({ naming: custom }))).toBe('orders-api');
    expect(resolve({ Ref: 'Live' }, ctx({ naming: custom }))).toBe(
      'arn:aws:lambda:eu-west-1:000000000000:function:orders-api:live',
    );
  });

  it('Fn::Join', () => {
    expect(resolve({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::b']] }, ctx())).toBe(
      'arn:aws:s3:::b',
    );
    expect(resolve({ 'Fn::Join': [',', []] }, ctx())).toBe('');
    expect(() => resolve({ 'Fn::Join': [''] }, ctx())).toThrow(/Fn::Join takes/);
  });

  it('Fn::Sub: the string form, with Refs, GetAtts, pseudo parameters and ${!literals}', () => {
    expect(resolve({ 'Fn::Sub': '${Bus}/${Bus.Arn}/${AWS::Region}/${!Literal}' }, ctx())).toBe(
      'meridian-local-bus/arn:aws:events:eu-west-1:000000000000:event-bus/meridian-local-bus/eu-west-1/${Literal}',
    );
  });

  it('Fn::Sub: the [string, variables] form, variables first', () => {
    expect(
      resolve(
        { 'Fn::Sub': ['${Name}-${AWS::AccountId}-${Bus}', { Name: { Ref: 'AWS::Region' }, Bus: 'x' }] },
        ctx(),
      ),
    ).toBe('eu-west-1-000000000000-x');
  });

  it('Fn::Select and Fn::Split (CDK’s function name and qualifier of an alias ARN)', () => {
    const split = { 'Fn::Split': [':', { Ref: 'Live' }] };
    expect(resolve({ 'Fn::Select': [6, split] }, ctx())).toBe('Fn');
    expect(resolve({ 'Fn::Select': ['7', split] }, ctx())).toBe('live');
    expect(resolve(split, ctx())).toHaveLength(8);
    expect(() => resolve({ 'Fn::Select': [9, split] }, ctx())).toThrow(
      '$.Fn::Select: Fn::Select: index 9 is out of range (8)',
    );
  });

  it('Fn::GetStackOutput and Fn::ImportValue, through the caller’s cross-stack lookups', () => {
    const c = ctx({
      stackOutput: (stack, region, output) =>
        stack === 'keys' && region === 'us-east-1' && output === 'KeyArn'
          ? 'arn:aws:kms:us-east-1:0:key/k'
          : undefined,
      importValue: (name) => (name === 'eu-west-1-bus' ? 'bus-from-export' : undefined),
    });
    expect(
      resolve({ 'Fn::GetStackOutput': { StackName: 'keys', Region: 'us-east-1', OutputName: 'KeyArn' } }, c),
    ).toBe('arn:aws:kms:us-east-1:0:key/k');
    expect(resolve({ 'Fn::ImportValue': { 'Fn::Sub': '${AWS::Region}-bus' } }, c)).toBe('bus-from-export');
    expect(() => resolve({ 'Fn::GetStackOutput': { StackName: 'keys', OutputName: 'Other' } }, c)).toThrow(
      '$.Fn::GetStackOutput: no output Other of stack keys in eu-west-1',
    );
    expect(() => resolve({ 'Fn::ImportValue': 'nope' }, c)).toThrow(/no export named nope/);
  });

  it('leaves dynamic references as they are and reports them', () => {
    const found: DynamicReference[] = [];
    const value = '{{resolve:secretsmanager:MySecret:SecretString:password}}';
    expect(
      resolve({ A: value, B: { 'Fn::Join': ['', ['x', value]] } }, ctx({ dynamicReferences: found })),
    ).toEqual({
      A: value,
      B: `x${value}`,
    });
    expect(found).toEqual([
      { path: '$.A', value },
      { path: '$.B.Fn::Join[1][1]', value },
    ]);
  });

  it('throws on an unknown intrinsic, naming its path', () => {
    expect(() => resolve({ Props: { List: [{ 'Fn::If': ['Cond', 'a', 'b'] }] } }, ctx())).toThrow(
      new IntrinsicError('$.Props.List[0].Fn::If', 'unsupported intrinsic Fn::If'),
    );
    expect(() => resolve({ 'Fn::Base64': 'x' }, ctx(), 'Stack:$.Outputs.O')).toThrow(
      'Stack:$.Outputs.O.Fn::Base64: unsupported intrinsic Fn::Base64',
    );
  });
});
