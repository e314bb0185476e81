export { LINK_PATH } from './post';
export type { LinkEntry } from './outbox';
export {
  PeerLinks,
  type LinkBatch,
  type LinkClock,
  type PeerConfig,
  type PeerLinksOptions,
  type PeerLinkStats,
} from './peer-links';
export {
  LinkReceiver,
  linkRequestListener,
  type LinkHandler,
  type LinkListenerOptions,
  type LinkReceiverOptions,
  type LinkReceiverStats,
  type LinkReply,
  type ReceivedEntry,
} from './receiver';
