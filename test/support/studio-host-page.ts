import {
  AppBridge,
  type McpUiHostCapabilities,
  type McpUiHostContext,
  PostMessageTransport,
} from '@modelcontextprotocol/ext-apps/app-bridge';

/**
 * The browser side of our test host: ext-apps' own host bridge (AppBridge) talking to Runware Studio in a
 * sandboxed iframe, as Claude, ChatGPT or VS Code do. Tool calls from the app go to the real server through the
 * test (page.exposeFunction); every request the app makes of the host is logged for the test to assert on.
 */

interface MountOptions {
  sandboxUrl: string;
  toolName: string;
  args: Record<string, unknown>;
  result: Parameters<AppBridge['sendToolResult']>[0];
  hostContext: McpUiHostContext;
  capabilities: McpUiHostCapabilities;
  width: number;
}

declare global {
  interface Window {
    hostCallTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
    hostLog(entry: { method: string; params: unknown }): Promise<void>;
    mountStudio(options: MountOptions): Promise<void>;
    setHostContext(context: McpUiHostContext): Promise<void>;
  }
}

let bridge: AppBridge | undefined;

window.mountStudio = async (options) => {
  const frame = document.createElement('iframe');
  frame.title = 'Runware Studio';
  frame.setAttribute('sandbox', 'allow-scripts allow-same-origin');
  frame.style.cssText = `width:${options.width}px;height:200px;border:0;display:block`;
  document.getElementById('host')!.replaceChildren(frame);
  const log = (method: string, params: unknown) => window.hostLog({ method, params });
  bridge = new AppBridge(null, { name: 'runware-test-host', version: '1.0.0' }, options.capabilities, {
    hostContext: options.hostContext,
  });
  bridge.oncalltool = async (params) => {
    await log('tools/call', params);
    return (await window.hostCallTool(params)) as never;
  };
  bridge.onopenlink = async (params) => {
    await log('ui/open-link', params);
    return {};
  };
  bridge.ondownloadfile = async (params) => {
    await log('ui/download-file', params);
    return {};
  };
  bridge.onmessage = async (params) => {
    await log('ui/message', params);
    return {};
  };
  bridge.onupdatemodelcontext = async (params) => {
    await log('ui/update-model-context', params);
    return {};
  };
  bridge.onrequestdisplaymode = async (params) => {
    await log('ui/request-display-mode', params);
    return { mode: params.mode };
  };
  bridge.onsizechange = ({ height }) => {
    if (height !== undefined) frame.style.height = `${height}px`;
  };
  const initialized = new Promise<void>((resolve) => {
    bridge!.oninitialized = () => resolve();
  });
  // Connected before the app loads (the frame's window survives navigation): its ui/initialize is not missed.
  await bridge.connect(new PostMessageTransport(frame.contentWindow!, frame.contentWindow!));
  frame.src = options.sandboxUrl;
  await initialized;
  await log('ui/notifications/initialized', {});
  await bridge.sendToolInput({ arguments: options.args });
  await bridge.sendToolResult(options.result);
};

window.setHostContext = async (context) => {
  await bridge?.sendHostContextChange(context);
};
