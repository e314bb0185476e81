import { startEdge, type Edge } from '../../../local/edge';
import { awsTarget, DrillTargetError } from '../../../lib/drill';

const REGIONS = ['us-east-1', 'eu-west-1'];
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

describe('awsTarget finds the environment’s health checks by their tags', () => {
  let edge: Edge;

  beforeEach(async () => {
    // The account holds staging's checks (the edge tags its checks meridian:environment=meridian-staging).
    edge = await startEdge({
      port: 0,
      regions: REGIONS.map((region, i) => ({ region, apiBaseUrl: `http://127.0.0.1:${9100 + i}/v1` })),
      environment: 'meridian-staging',
      deferHealthChecks: true,
    });
  });

  afterEach(async () => {
    await edge.close();
  });

  it("drills the environment whose tags the checks carry, with each region's API from its check", async () => {
    const target = await awsTarget({
      env: 'staging',
      regions: REGIONS,
      endpoints: { route53: edge.endpoint, credentials },
    });
    try {
      expect(target.apiUrls).toEqual({
        'us-east-1': 'http://127.0.0.1:9100/v1',
        'eu-west-1': 'http://127.0.0.1:9101/v1',
      });
    } finally {
      await target.close();
    }
  });

  it("never takes another environment's checks in the same account", async () => {
    const attempt = awsTarget({
      env: 'dev',
      regions: REGIONS,
      endpoints: { route53: edge.endpoint, credentials },
    });

    await expect(attempt).rejects.toThrow(DrillTargetError);
    await expect(attempt).rejects.toThrow(
      'no Route 53 health check tagged meridian:environment=meridian-dev found for us-east-1, eu-west-1: is dev deployed?',
    );
  });
});
