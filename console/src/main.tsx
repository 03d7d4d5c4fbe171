import { render } from 'preact';
import { App } from './App';
import { configureApi } from './lib/api';
import { configureAuth, restoreSession } from './lib/auth';
import { loadConfig } from './lib/config';
import { interceptLinks } from './lib/router';
import './style.css';

const root = document.getElementById('app')!;
interceptLinks(root);
loadConfig()
  .then(async (config) => {
    configureAuth(config);
    configureApi(config.api_base);
    if (await restoreSession()) return;
    render(<App config={config} />, root);
  })
  .catch((error) => {
    render(
      <main class="page">
        <h1>The console cannot start</h1>
        <p role="alert">{String(error)}</p>
      </main>,
      root,
    );
  });
