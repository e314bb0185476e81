import { Duration, Stack, Tags } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { HEALTH_CHECK_TAGS } from '../../services/shared/route53-health';
import type { MeridianEnvironment } from '../config';

/** Props of {@link RegionalDns}. */
export interface RegionalDnsProps {
  /** The environment: the health check's interval and threshold, the optional zone (`config.dns`). */
  readonly config: MeridianEnvironment;
  /** This region's execute-api host name, `<api id>.execute-api.<region>.<suffix>`: what is checked. */
  readonly executeApiHost: string;
  /** The checked path, including the stage, e.g. `/v1/health`. */
  readonly healthPath: string;
  /**
   * The API's custom domain in this region; required when `config.dns` is set (the latency records'
   * target). It must be dual-stack (IP address type `dualstack`, as `RegionalApi` makes it): the
   * AAAA record would otherwise send IPv6 clients to a name without IPv6 addresses. A domain defined in
   * this app that is IPv4-only is refused; an imported one cannot be checked.
   */
  readonly domainName?: apigw.IDomainName;
  /** The hosted zone of `config.dns`; required when `config.dns` is set. */
  readonly hostedZone?: route53.IHostedZone;
}

/**
 * The region's place in DNS: a Route 53 HTTPS health check on its own `GET /health` (deep: table, bus,
 * state machine), tagged with the environment and the region (HEALTH_CHECK_TAGS) so the other regions'
 * takeover functions find it (docs/decisions/007), and, when the environment has a zone, latency-routed
 * A and AAAA alias records for the API name pointing at this region's dual-stack custom domain, carrying
 * the health check. A region whose check fails is left out of the answers; clients go to the
 * next-nearest healthy region.
 */
export class RegionalDns extends Construct {
  readonly healthCheck: route53.HealthCheck;
  /** The latency records (A, AAAA) of this region, when `config.dns` is set. */
  readonly records: readonly route53.RecordSet[];

  constructor(scope: Construct, id: string, props: RegionalDnsProps) {
    super(scope, id);
    const { config } = props;
    const region = Stack.of(this).region;

    this.healthCheck = new route53.HealthCheck(this, 'HealthCheck', {
      type: route53.HealthCheckType.HTTPS,
      // The region's own endpoint, not the latency-routed name: the check must see this region alone.
      fqdn: props.executeApiHost,
      resourcePath: props.healthPath,
      port: 443,
      requestInterval: Duration.seconds(config.healthCheck.intervalSeconds),
      failureThreshold: config.healthCheck.failureThreshold,
      measureLatency: true,
    });
    // Route 53 is global: the tags, not the check's id (unknown to the other regions at synth), tell which
    // environment and region a check probes.
    Tags.of(this.healthCheck).add(HEALTH_CHECK_TAGS.environment, config.prefix);
    Tags.of(this.healthCheck).add(HEALTH_CHECK_TAGS.region, region);

    if (!config.dns) {
      this.records = [];
      return;
    }
    if (!props.domainName || !props.hostedZone) {
      throw new Error('RegionalDns: config.dns is set, so domainName and hostedZone are required');
    }
    const cfnDomain = props.domainName.node.defaultChild;
    if (cfnDomain instanceof apigw.CfnDomainName) {
      const endpoint = Stack.of(this).resolve(cfnDomain.endpointConfiguration) as
        { IpAddressType?: string; ipAddressType?: string } | undefined;
      const ipAddressType = endpoint?.IpAddressType ?? endpoint?.ipAddressType;
      if (ipAddressType !== apigw.IpAddressType.DUAL_STACK) {
        throw new Error(
          `RegionalDns: the custom domain ${props.domainName.node.path} is not dual-stack (IP address type ${ipAddressType ?? 'ipv4 by default'}): the AAAA latency record would point at a name without IPv6 addresses`,
        );
      }
    }
    const latency = {
      zone: props.hostedZone,
      recordName: config.dns.domainName,
      target: route53.RecordTarget.fromAlias(new targets.ApiGatewayDomain(props.domainName)),
      region,
      setIdentifier: region,
      healthCheck: this.healthCheck,
    };
    this.records = [
      new route53.ARecord(this, 'LatencyA', latency),
      new route53.AaaaRecord(this, 'LatencyAaaa', latency),
    ];
  }
}
