import type {
  McpUiDownloadFileRequest,
  McpUiHostCapabilities,
  McpUiHostContext,
  McpUiInitializeRequest,
  McpUiInitializeResult,
  McpUiMessageRequest,
  McpUiOpenLinkRequest,
  McpUiRequestDisplayModeRequest,
  McpUiSizeChangedNotification,
  McpUiToolInputNotification,
  McpUiToolResultNotification,
  McpUiUpdateModelContextRequest,
} from '@modelcontextprotocol/ext-apps';

/**
 * The view side of the MCP Apps protocol (SEP-1865): JSON-RPC 2.0 over postMessage with the host window. Written
 * here rather than taken from ext-apps' `App` class, which bundles the MCP client's Protocol and zod (400 KB
 * minified) into a 150 KB budget; the message types are ext-apps' own, and the tests drive this bridge through
 * ext-apps' host-side AppBridge.
 */

type CallToolResult = McpUiToolResultNotification['params'];
type Message = {
  jsonrpc: '2.0';
  id?: number | string;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
};

export interface HostEvents {
  toolInput(params: McpUiToolInputNotification['params']): void;
  toolResult(params: CallToolResult): void;
  toolCancelled(reason: string | undefined): void;
  contextChanged(context: McpUiHostContext): void;
}

export class HostError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

const PROTOCOL_VERSION: McpUiInitializeRequest['params']['protocolVersion'] = '2026-01-26';

export class HostBridge {
  capabilities: McpUiHostCapabilities = {};
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(private readonly events: HostEvents) {
    window.addEventListener('message', (event) => {
      if (event.source !== window.parent || event.data?.jsonrpc !== '2.0') return;
      this.receive(event.data as Message);
    });
  }

  /** The handshake: ui/initialize, then ui/notifications/initialized (the host sends nothing before it). */
  async connect(version: string): Promise<McpUiHostContext> {
    const init = (await this.request('ui/initialize', {
      appInfo: { name: 'runware-studio', version },
      appCapabilities: { availableDisplayModes: ['inline', 'fullscreen'] },
      protocolVersion: PROTOCOL_VERSION,
    } satisfies McpUiInitializeRequest['params'])) as McpUiInitializeResult;
    this.capabilities = init.hostCapabilities ?? {};
    this.notify('ui/notifications/initialized', {});
    return init.hostContext ?? {};
  }

  /** A tool call through the host: it applies its own approval and the server its spend guard, as for the model's calls. */
  callTool(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    return this.request('tools/call', { name, arguments: args }) as Promise<CallToolResult>;
  }

  openLink(url: string) {
    return this.request('ui/open-link', { url } satisfies McpUiOpenLinkRequest['params']);
  }

  downloadFile(uri: string, name: string, mimeType: string | undefined) {
    const link = { type: 'resource_link' as const, uri, name, ...(mimeType ? { mimeType } : {}) };
    return this.request('ui/download-file', {
      contents: [link],
    } satisfies McpUiDownloadFileRequest['params']);
  }

  sendMessage(text: string) {
    const params: McpUiMessageRequest['params'] = { role: 'user', content: [{ type: 'text', text }] };
    return this.request('ui/message', params);
  }

  updateModelContext(text: string) {
    const params: McpUiUpdateModelContextRequest['params'] = { content: [{ type: 'text', text }] };
    return this.request('ui/update-model-context', params);
  }

  /** Fullscreen for the full-size view, inline again after; the host answers the mode it actually set. */
  requestDisplayMode(mode: McpUiRequestDisplayModeRequest['params']['mode']) {
    return this.request('ui/request-display-mode', {
      mode,
    } satisfies McpUiRequestDisplayModeRequest['params']);
  }

  sizeChanged(params: McpUiSizeChangedNotification['params']) {
    this.notify('ui/notifications/size-changed', params);
  }

  private request(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ jsonrpc: '2.0', id, method, params });
    });
  }

  private notify(method: string, params: unknown) {
    this.post({ jsonrpc: '2.0', method, params });
  }

  private post(message: Message) {
    window.parent.postMessage(message, '*');
  }

  private receive(message: Message) {
    if (message.method === undefined) {
      const waiting = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
      if (!waiting) return;
      this.pending.delete(message.id as number);
      if (message.error) waiting.reject(new HostError(message.error.message, message.error.code));
      else waiting.resolve(message.result);
      return;
    }
    const params = (message.params ?? {}) as Record<string, unknown>;
    switch (message.method) {
      case 'ui/notifications/tool-input':
        return this.events.toolInput(params as McpUiToolInputNotification['params']);
      case 'ui/notifications/tool-result':
        return this.events.toolResult(params as CallToolResult);
      case 'ui/notifications/tool-cancelled':
        return this.events.toolCancelled(params.reason as string | undefined);
      case 'ui/notifications/host-context-changed':
        return this.events.contextChanged(params as McpUiHostContext);
      case 'ui/resource-teardown':
      case 'ping':
        if (message.id !== undefined) this.post({ jsonrpc: '2.0', id: message.id, result: {} });
        return;
      default:
        if (message.id !== undefined)
          this.post({
            jsonrpc: '2.0',
            id: message.id,
            error: { code: -32601, message: `Method not found: ${message.method}` },
          });
    }
  }
}
