import { ownedStatusUpdate } from '../../../services/shared/adapters/owned-status-update';

describe('ownedStatusUpdate', () => {
  it('sets the defined fields only if owned by this region and in one of the expected statuses', () => {
    const parts = ownedStatusUpdate({
      set: { status: 'CAPTURED', chargeId: undefined, capturedMinor: 500 },
      from: ['AUTHORIZED', 'CAPTURED'],
      region: 'eu-west-1',
    });

    expect(parts).toEqual({
      UpdateExpression: 'SET #f0 = :f0, #f1 = :f1',
      ConditionExpression: 'attribute_exists(pk) AND ownerRegion = :me AND #status IN (:from0, :from1)',
      ExpressionAttributeNames: { '#status': 'status', '#f0': 'status', '#f1': 'capturedMinor' },
      ExpressionAttributeValues: {
        ':me': 'eu-west-1',
        ':f0': 'CAPTURED',
        ':f1': 500,
        ':from0': 'AUTHORIZED',
        ':from1': 'CAPTURED',
      },
    });
  });
});
