/** The web console's entry: finish a sign-in in progress (if the issuer just sent us back), then render. */
import { render } from 'preact';
import { App } from './app.tsx';
import { completeSignIn } from './auth.ts';
import './styles.css';

await completeSignIn();
const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
