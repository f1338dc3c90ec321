import type { McpUiHostContext } from '@modelcontextprotocol/ext-apps';

/**
 * Applies what the host says about its look: light or dark, its CSS variables (the spec's standard names, which
 * studio.css reads with its own fallbacks), its fonts, and the safe-area insets of mobile hosts.
 */
export function applyHostContext(context: McpUiHostContext): void {
  const root = document.documentElement;
  if (context.theme) {
    root.dataset.theme = context.theme;
    root.style.colorScheme = context.theme;
  }
  for (const [name, value] of Object.entries(context.styles?.variables ?? {})) {
    if (name.startsWith('--') && typeof value === 'string') root.style.setProperty(name, value);
  }
  const fonts = context.styles?.css?.fonts;
  if (fonts) {
    let style = document.getElementById('host-fonts');
    if (!style) {
      style = document.createElement('style');
      style.id = 'host-fonts';
      document.head.append(style);
    }
    style.textContent = fonts;
  }
  const insets = context.safeAreaInsets;
  if (insets) {
    document.body.style.padding = `${insets.top}px ${insets.right}px ${insets.bottom}px ${insets.left}px`;
  }
}
