import type { eventsv1, gatewayv1 } from '@feedmesh/contracts';
import type { ServiceClient } from '@feedmesh/service-kit';

export type GatewayClient = ServiceClient<typeof gatewayv1.FeedGatewayServiceDefinition>;

const MAX_BATCH = 1_000;

export interface PublishTally {
  /** Events sent in PublishEvents calls. */
  readonly sent: number;
  /** Events the gateway answered it appended. */
  readonly accepted: number;
  /** Events in batches the gateway refused (with the first refusal's message). */
  readonly rejected: number;
  readonly firstRejection: string | undefined;
  readonly engagementsAccepted: number;
}

/** Publishes through the gateway and counts what it accepted, as a producer would. */
export class EventPublisher {
  private sent = 0;
  private accepted = 0;
  private rejected = 0;
  private engagementsAccepted = 0;
  private firstRejection: string | undefined;

  constructor(private readonly gateway: GatewayClient) {}

  async publish(events: readonly eventsv1.Event[]): Promise<void> {
    for (let i = 0; i < events.length; i += MAX_BATCH) {
      const batch = events.slice(i, i + MAX_BATCH);
      this.sent += batch.length;
      try {
        const response = await this.gateway.publishEvents({ events: batch });
        this.accepted += response.accepted;
        if (response.accepted === batch.length) {
          this.engagementsAccepted += batch.filter((e) => e.payload?.$case === 'engagement').length;
        }
      } catch (error) {
        this.rejected += batch.length;
        this.firstRejection ??= error instanceof Error ? error.message : String(error);
      }
    }
  }

  tally(): PublishTally {
    return {
      sent: this.sent,
      accepted: this.accepted,
      rejected: this.rejected,
      firstRejection: this.firstRejection,
      engagementsAccepted: this.engagementsAccepted,
    };
  }
}
