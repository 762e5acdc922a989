import { Link } from "react-router-dom";
import { paths } from "../routes";

export function NotFoundPage() {
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to={paths.experts}>Browse experts</Link>.
      </p>
    </section>
  );
}
