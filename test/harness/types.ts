/** The resource type tokens the suites look resources up by. */
export const CONTAINER = "docker:index/container:Container";
export const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
export const IMAGE = "docker:index/image:Image";
export const VOLUME = "docker:index/volume:Volume";
export const NETWORK = "docker:index/network:Network";
export const COMMAND = "command:local:Command";
export const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";
export const TUNNEL = "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared";
export const TUNNEL_CONFIG =
  "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig";
export const DNS = "cloudflare:index/dnsRecord:DnsRecord";
export const WORKER = "cloudflare:index/workersScript:WorkersScript";
export const CATCH_ALL = "cloudflare:index/emailRoutingCatchAll:EmailRoutingCatchAll";
export const RULE = "cloudflare:index/emailRoutingRule:EmailRoutingRule";
